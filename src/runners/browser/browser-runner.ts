/**
 * The registry's face of a browser runtime (runner.ts): its name, provider and availability, with
 * the default browser. Its jobs do not open sessions in Node: a browser runtime runs whole jobs in a
 * page (run-in-browser.ts), so `open()` here is a bug in the caller. The browser code is imported
 * only when asked, so that other runtimes never load playwright-core.
 */
import { invariant } from '../../errors.ts';
import type { BrowserRuntimeName, Runner } from '../contract.ts';
import { BROWSER_PROVIDERS } from './page-runner.ts';

export function browserRunner(name: BrowserRuntimeName): Runner {
  return {
    name,
    provider: BROWSER_PROVIDERS[name],
    async available() {
      const { availableInBrowser } = await import('./run-in-browser.ts');
      return availableInBrowser(name);
    },
    open() {
      invariant(false, () => `${name} runs whole jobs in a browser page (runInBrowser): it opens no session in Node`);
    },
  };
}
