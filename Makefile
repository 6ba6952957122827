# Shale — top-level build. One make drives both builds:
#   the extension (PGXS, extension/Makefile) and
#   the daemon, the CLI and the unit tests (CMake, CMakeLists.txt → build/).
#
#   make up      install deps, build, install, start the platform on this machine: shale serve
#                (the /v1 API) and a first database "main"; prints the API, the token and the URI (last)
#   make down    stop what make up started (the data stays)
#   make cluster install deps, build, install, start one bare cluster with shale up, print its URI
#   make check   install deps, build, install, run every test suite
# The portal (portal/, TypeScript + React, built by Vite into portal/dist) is built
# when its sources or its lockfile change; shale serve serves it at /.
.PHONY: all deps build build-extension build-native build-portal install up down cluster serve check format lint clean

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

all: build

deps:
	@bash scripts/install-deps.sh

build: build-extension build-native build-portal

build-extension:
	$(MAKE) -C extension PG_CONFIG=$(PG_CONFIG) -j$(JOBS)

build-native:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j$(JOBS)

PORTAL_SOURCES := $(shell find portal/src portal/public -type f 2>/dev/null) portal/index.html \
  portal/vite.config.ts portal/tsconfig.json portal/package.json

build-portal: portal/dist/index.html

# npm ci writes node_modules/.package-lock.json: newer than the lockfile means up to date
portal/node_modules/.package-lock.json: portal/package-lock.json
	cd portal && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

portal/dist/index.html: portal/node_modules/.package-lock.json $(PORTAL_SOURCES)
	cd portal && npm run --silent build
	@touch $@

install: build
	$(MAKE) -C extension PG_CONFIG=$(PG_CONFIG) install
	install -m 0755 $(BUILD_DIR)/coordinator/shale /usr/local/bin/shale
	install -m 0755 $(BUILD_DIR)/coordinator/shaled /usr/local/bin/shaled
	mkdir -p /usr/local/share/shale
	rm -rf /usr/local/share/shale/templates
	cp -r templates /usr/local/share/shale/templates
	rm -rf /usr/local/share/shale/portal
	cp -r portal/dist /usr/local/share/shale/portal

up: deps
	@$(MAKE) --no-print-directory install >/dev/null
	@bash scripts/serve-up.sh

down:
	@bash scripts/serve-down.sh

serve: up

cluster: deps
	@$(MAKE) --no-print-directory install >/dev/null
	@/usr/local/bin/shale up $(UP_ARGS)

check: deps
	$(MAKE) --no-print-directory install
	bash test/run-all.sh

format:
	@bash scripts/install-deps.sh clang-format
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')

lint:
	bash scripts/check-extension-layers.sh
	@bash scripts/install-deps.sh cppcheck
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance --std=c++17 \
	  --suppress=missingIncludeSystem -I common common coordinator

clean:
	$(MAKE) -C extension clean PG_CONFIG=$(PG_CONFIG)
	rm -rf $(BUILD_DIR)
