#!/bin/sh
# FLAC decoder fixtures (test/features/decode.test.ts): each FLAC must decode to exactly its WAV source.
# Run from this folder with Debian's sox and flac: sh make_audio.sh
set -e
sox -n -r 16000 -b 16 -c 2 stereo16.wav synth 0.25 sine 440 sine 1000 vol 0.5
flac --silent --force --blocksize=1024 -o stereo16.flac stereo16.wav
sox -n -r 44100 -b 24 -c 1 mono24.wav synth 0.1 sine 3000 vol 0.7
flac --silent --force -o mono24.flac mono24.wav
