import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyRecipe, MISSION_RECIPE, suiteVariants } from '../../src/ablate/suites.ts';
import { quantMode, variantName } from '../../src/ablate/variants.ts';

// The main job's page (the README links to it): every line of it describes the mission suite.
const section = readFileSync(new URL('../../docs/main-job.md', import.meta.url), 'utf8');

const missionVariants = () =>
  suiteVariants('mission', { calibration: MISSION_RECIPE.calibration, calibrations: [], ratios: MISSION_RECIPE.ratios, fineTuneEpochs: MISSION_RECIPE.fineTuneEpochs });

describe('the mission suite (npm start)', () => {
  it('is fp32, BN-folded, 50% channels pruned and fine-tuned, fp16 and static int8 QDQ u8s8 per-channel min-max', () => {
    const v = missionVariants();
    expect(v.map(variantName)).toEqual(['fp32', 'fold-bn', `channels-l1-0.5-ft${MISSION_RECIPE.fineTuneEpochs}`, 'fp16', 'qdq-u8s8-pc-minmax']);
    expect(v.map(quantMode)).toEqual(['none', 'none', 'none', 'fp16', 'static-qdq']);
  });

  it('docs/main-job.md lists every variant and the recipe, and npm start runs the suite', () => {
    expect(section.length).toBeGreaterThan(100);
    for (const name of missionVariants().map(variantName)) expect(section).toContain(`\`${name}\``);
    expect(section).toContain(`\`${MISSION_RECIPE.models.join(',')}\``);
    expect(section).toContain(`${MISSION_RECIPE.trainEpochs} epochs`);
    expect(section).toContain(`${MISSION_RECIPE.fineTuneEpochs} epochs of fine-tuning`);
    expect(section).toContain(`${MISSION_RECIPE.calibrationClips} calibration clips`);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/melbench.mjs ablate --suite mission');
  });

  it('the recipe fills only the options the command line left at their defaults', () => {
    const o = { models: ['resnet'], trainEpochs: 40, fineTuneEpochs: 20, ratios: [0.3, 0.5, 0.7], calibration: 'minmax', calibrationClips: 256 };
    applyRecipe(o, MISSION_RECIPE, (key) => key !== 'trainEpochs');
    expect(o).toEqual({ ...MISSION_RECIPE, trainEpochs: 40 });
  });
});
