# b00t — two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
DEBIAN_PACKAGES := libedit-dev libhiredis-dev libncurses-dev libsqlite3-dev redis-server tmux socat
SWIFT ?= swift
SWIFT_FLAGS ?=

.PHONY: deps build release run test bench check clean

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

## test: every unit and integration test — one at a time: several suites start real daemons, agents and
## tmux sessions, and on a 2-core CI machine running them all at once makes timing-sensitive ones flaky.
test: deps
	$(SWIFT) test --no-parallel $(SWIFT_FLAGS)

## bench: release build, then one JSON object of figures
bench: release
	"$$($(SWIFT) build -c release $(SWIFT_FLAGS) --show-bin-path)/b00t-bench"

## check: validate the shipped datums
check: build
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/b00t" datum check

clean:
	rm -rf .build
