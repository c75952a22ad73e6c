# Multisite Webhooks — build, test, benchmark, demo.
#   make demo   bring up a local multisite with the plugin and show a webhook working
#   make test   run every test (Rust, C boundary, processes, PHP through FFI)
#   make bench  measure emit latency, delivery rate and memory

CARGO ?= cargo
LIB   := target/release/libmultisite_webhooks.so
BIN   := target/release/hooks-spool

.PHONY: all build header test test-rust test-php bench clean

all: build

build:
	$(CARGO) build --release --locked

# Copy the header cbindgen generated during the build into include/ (commit it).
header: build
	cp "$$(ls -t target/release/build/multisite-webhooks-*/out/multisite_webhooks.h | head -1)" include/multisite_webhooks.h

test: test-rust test-php

test-rust:
	$(CARGO) test --release --locked -- --test-threads=2

test-php: build
	HOOKS_LIB=$(CURDIR)/$(LIB) phpunit -c tests/php/phpunit.xml

bench: build
	bash bench/run.sh

clean:
	$(CARGO) clean
