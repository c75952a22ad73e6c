# Multisite Webhooks — build, test, benchmark, demo.
#   make demo        bring up a local multisite with the plugin and show a webhook working
#   make demo-stop   stop what the demo started
#   make lint        the style, kept by machines: cargo fmt, clippy, php -l and phpcs (in make test)
#   make test        run every test (Rust, C boundary, processes, PHP through FFI, WordPress,
#                    the network admin pages in Chromium)
#   make test-reliability  the reliability and security suite in full (crash, faults, disk,
#                    fuzzing; its quick parts are in make test)
#   make bench       measure the engine and the whole system (page-view cost, throughput,
#                    slow receiver, backlog) and print one table
#   make plugin      build/multisite-webhooks.zip: the plugin with the engine inside

CARGO ?= cargo
LIB   := target/release/libmultisite_webhooks.so
HDR   := include/multisite_webhooks.h

.PHONY: all build header plugin deps lint lint-php lint-rust php-syntax test test-rust test-php test-wp test-browser test-crash test-reliability fuzz wp-up demo demo-stop bench clean

all: build

build:
	$(CARGO) build --release --locked

# Copy the header cbindgen generated during the build into include/ (commit it).
header: build
	cp "$$(ls -t target/release/build/multisite-webhooks-*/out/multisite_webhooks.h | head -1)" $(HDR)

plugin: build
	rm -rf build/multisite-webhooks && mkdir -p build/multisite-webhooks/lib
	cp -R php-bridge/. build/multisite-webhooks/
	cp $(LIB) $(HDR) build/multisite-webhooks/lib/
	strip --strip-debug build/multisite-webhooks/lib/libmultisite_webhooks.so
	cd build && rm -f multisite-webhooks.zip && python3 -m zipfile -c multisite-webhooks.zip multisite-webhooks
	@echo "build/multisite-webhooks.zip"

# Everything make test needs, installed if missing (idempotent; quick when all is there).
deps:
	tools/deps.sh

test: deps lint test-rust test-php test-wp test-browser test-crash

lint: lint-rust lint-php

# Every PHP file parses.
php-syntax:
	@find php-bridge tests -name '*.php' -not -path '*/node_modules/*' -print0 | xargs -0 -n 1 -P 4 php -l > /dev/null

# phpcs with the repository's phpcs.xml.dist: errors and warnings both fail.
lint-php: php-syntax
	phpcs -q

lint-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

test-rust:
	$(CARGO) test --release --locked -- --test-threads=2

test-php: build
	HOOKS_LIB=$(CURDIR)/$(LIB) phpunit -c tests/php/phpunit.xml

# The WordPress end-to-end tests run against the local multisite of tools/wp (root needed).
wp-up: build
	tools/readable.sh
	tools/wp/up.sh

test-wp: wp-up
	phpunit -c tests/wp/phpunit.xml

# playwright-core (the browser driver; Debian's Chromium is the browser), from package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The network admin pages in headless Chromium; screenshots in tests/output/browser/.
test-browser: wp-up node_modules/.package-lock.json
	node --test --test-concurrency=1 --test-reporter=spec tests/browser/

# kill -9 the delivering PHP-FPM worker while events are raised (quick: 2,000 events, 3 kills).
CRASH_EVENTS ?= 2000
CRASH_ROUNDS ?= 3
test-crash: wp-up
	tests/reliability/crash.py --events $(CRASH_EVENTS) --rounds $(CRASH_ROUNDS)

# The whole reliability and security suite: receiver faults, disk full, SSRF/CSRF/XSS/secrets,
# the crash test at 10,000 events and 5 kills, and the fuzzers.
FUZZ_SECONDS ?= 60
test-reliability: wp-up
	$(CARGO) test --release --locked --test faults -- --test-threads=2 --nocapture
	phpunit -c tests/wp/phpunit.xml --filter 'DiskTest|SecurityTest'
	tests/reliability/crash.py --events 10000 --rounds 5
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz:
	tools/fuzz.sh $(FUZZ_SECONDS)

demo:
	tools/demo.sh

demo-stop:
	tools/demo.sh stop

bench: build wp-up
	bash bench/run.sh

clean:
	$(CARGO) clean
	rm -rf build
