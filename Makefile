# b00t — two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
DEBIAN_PACKAGES := libedit-dev libhiredis-dev libncurses-dev libsqlite3-dev redis-server tmux socat
SWIFT ?= swift
SWIFT_FLAGS ?=

.PHONY: deps build release run test bench check clean fuzz fuzz-ci

## deps: install the Debian packages that are missing (no-op when all are present)
deps:
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
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## run: build and start k0mmand3r on the embedded default bus
run: build
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/k0mmand3r" $(ARGS)

## test: every unit and integration test; with CI=true (.ci/run) also the fuzzers, 30 s each
test: deps
	$(SWIFT) test $(SWIFT_FLAGS)
	@if [ "$$CI" = "true" ]; then $(MAKE) fuzz-ci; fi

## fuzz: libFuzzer + ASan over the datum, query, replay, wire and REPL parsers, FUZZ_SECONDS (60) each
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

## fuzz-ci: each target for 30 s from the committed corpus; fails on a crash, a hang (> 1 s) or a leak
fuzz-ci:
	FUZZ_SECONDS=30 Fuzz/run.sh

## bench: release build, then one JSON object of figures
bench: release
	"$$($(SWIFT) build -c release $(SWIFT_FLAGS) --show-bin-path)/b00t-bench"

## check: validate the shipped datums
check: build
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/b00t" datum check

clean:
	rm -rf .build
