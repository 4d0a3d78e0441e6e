"""Golden feature values from torchaudio (Debian python3-torchaudio 0.13), for test/features/golden.test.ts.

Run once with Debian's python: /usr/bin/python3 test/data/golden/make_golden.py
Everything is computed in float64 (torch.set_default_dtype) so the reference error is far below the
tolerance the tests assert; waveforms are stored as float32 and read back exactly by both sides.

Per case: <case>.wave.npy [C, N] float32 input; <case>.<feature>.npy float32 outputs; manifest.json.
Reference per feature:
  logmel : torchaudio.transforms.MelSpectrogram(power=2, center=True, pad_mode='reflect',
           window_fn=hann_window (periodic)) then AmplitudeToDB('power', top_db) over the whole [C, M, T].
  mfcc   : torchaudio.transforms.MFCC(dct_type=2, norm='ortho', log_mels=False, melkwargs=...).
  delta  : scipy.signal.savgol_filter(logmel, 9, polyorder=1, deriv=1, axis=-1, mode='interp')
           (this is librosa.feature.delta(width=9)); delta2 = the same applied to delta.
"""
import json
import os

import numpy as np
import scipy.signal
import torch
import torchaudio

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))

# Must equal src/features/presets.ts for the presets of the same name.
PRESETS = {
    "default": dict(sr=16000, n_fft=1024, win=400, hop=256, n_mels=64, f_min=0.0, f_max=8000.0,
                    scale="htk", norm=None, top_db=80.0, kind="logmel", deltas=0, channels=1),
    "seed003-mel128": dict(sr=44100, n_fft=2048, win=2048, hop=512, n_mels=128, f_min=0.0, f_max=22050.0,
                           scale="slaney", norm="slaney", top_db=80.0, kind="logmel", deltas=0, channels=1),
    "seed003-mfcc": dict(sr=12000, n_fft=512, win=300, hop=120, n_mels=26, f_min=0.0, f_max=6000.0,
                         scale="htk", norm=None, top_db=80.0, kind="mfcc", n_mfcc=13, deltas=0, channels=1),
    "lim2021": dict(sr=48000, n_fft=2048, win=2048, hop=1024, n_mels=128, f_min=0.0, f_max=24000.0,
                    scale="htk", norm=None, top_db=80.0, kind="logmel", deltas=2, channels=2),
}
SECONDS = {"default": 0.5, "seed003-mel128": 0.25, "seed003-mfcc": 0.5, "lim2021": 0.2}


def waveform(sr, seconds, channels, seed):
    """Chirp + tones + noise with a stretch of digital silence (exercises the top_db floor)."""
    rng = np.random.default_rng(seed)
    n = int(round(sr * seconds))
    t = np.arange(n) / sr
    out = []
    for c in range(channels):
        f0, f1 = 100.0, 0.45 * sr
        x = 0.3 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds)))
        x += 0.2 * np.sin(2 * np.pi * (440.0 * (c + 1)) * t) + 0.05 * rng.standard_normal(n)
        x *= 1.0 if c == 0 else 0.5
        x[int(0.4 * n):int(0.6 * n)] = 0.0
        out.append(x)
    return np.stack(out).astype(np.float32)


def mel_kwargs(p):
    return dict(n_fft=p["n_fft"], win_length=p["win"], hop_length=p["hop"], f_min=p["f_min"], f_max=p["f_max"],
                n_mels=p["n_mels"], power=2.0, center=True, pad_mode="reflect", norm=p["norm"],
                mel_scale=p["scale"], window_fn=torch.hann_window)


def save(name, arr):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(arr, dtype=np.float32))
    return name


def main():
    manifest = {"torch": torch.__version__, "torchaudio": torchaudio.__version__, "scipy": scipy.__version__, "cases": []}
    for i, (name, p) in enumerate(PRESETS.items()):
        wave = waveform(p["sr"], SECONDS[name], p["channels"], seed=1000 + i)
        x = torch.from_numpy(wave.astype(np.float64))
        case = {"preset": name, "seconds": SECONDS[name], "wave": save(f"{name}.wave.npy", wave)}
        if p["kind"] == "mfcc":
            mfcc = torchaudio.transforms.MFCC(sample_rate=p["sr"], n_mfcc=p["n_mfcc"], dct_type=2, norm="ortho",
                                              log_mels=False, melkwargs=mel_kwargs(p))
            case["mfcc"] = save(f"{name}.mfcc.npy", mfcc(x).numpy())
        else:
            mel = torchaudio.transforms.MelSpectrogram(sample_rate=p["sr"], **mel_kwargs(p))(x)
            db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=p["top_db"])(mel).numpy()
            case["logmel"] = save(f"{name}.logmel.npy", db)
            if p["deltas"] >= 1:
                d1 = scipy.signal.savgol_filter(db, 9, 1, deriv=1, axis=-1, mode="interp")
                case["delta"] = save(f"{name}.delta.npy", d1)
                if p["deltas"] >= 2:
                    d2 = scipy.signal.savgol_filter(d1, 9, 1, deriv=1, axis=-1, mode="interp")
                    case["delta2"] = save(f"{name}.delta2.npy", d2)
        manifest["cases"].append(case)
    # Deltas of the default preset's log-mel as well (a longer T than lim2021's fixture).
    ref = np.load(os.path.join(HERE, "default.logmel.npy")).astype(np.float64)
    d1 = scipy.signal.savgol_filter(ref, 9, 1, deriv=1, axis=-1, mode="interp")
    manifest["defaultDelta"] = save("default.delta.npy", d1)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
