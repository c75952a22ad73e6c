# Multisite Webhooks — build, test, benchmark, demo.
#   make demo        bring up a local multisite with the plugin and show a webhook working
#   make demo-stop   stop what the demo started
#   make test        run every test (Rust, C boundary, processes, PHP through FFI, WordPress,
#                    the network admin pages in Chromium)
#   make bench       measure emit latency, delivery rate and memory
#   make plugin      build/multisite-webhooks.zip: the plugin with the engine inside

CARGO ?= cargo
LIB   := target/release/libmultisite_webhooks.so
HDR   := include/multisite_webhooks.h

.PHONY: all build header plugin test test-rust test-php test-wp test-browser wp-up demo demo-stop bench clean

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

test: test-rust test-php test-wp test-browser

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

demo:
	tools/demo.sh

demo-stop:
	tools/demo.sh stop

bench: build
	bash bench/run.sh

clean:
	$(CARGO) clean
	rm -rf build
