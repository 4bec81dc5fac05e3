# verifyd: build, test and demo. `make test` and `make demo` install what they need on Debian
# when run as root, and say what to install otherwise.

SWIFT ?= swift
DEBIAN_PACKAGES = libarchive-dev zlib1g-dev libisal-dev libzstd-dev liblzma-dev pkg-config libarchive-tools tar gzip bzip2 xz-utils \
	zstd lz4 lzip lzop cpio zip unzip p7zip-full binutils coreutils isal pigz hyperfine time libsqlite3-dev systemd util-linux \
	curl dash shellcheck python3-pip perl mount postgresql mariadb-server chromium minisign signify-openbsd \
	prometheus prometheus-alertmanager prometheus-node-exporter \
	debhelper dpkg-dev lintian go-md2man man-db debootstrap systemd-container zsh fish \
	age gnupg

.PHONY: all build release test demo bench bench-scale fuzz deps pydeps clean man completions install deb test-system

all: build

deps:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# A real SMTP server for the email hook's test (aiosmtpd) and Prometheus' own parser for the
# metrics test (prometheus_client), from PyPI, into .build/python.
pydeps:
	@test -d .build/python/aiosmtpd -a -d .build/python/prometheus_client || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target .build/python aiosmtpd prometheus_client

test: deps pydeps
	$(SWIFT) build --build-tests
	$(SWIFT) test

# The benchmark: BENCH_SIZE=1G (default), BENCH_RUNS=5; results in bench/results/.
bench: release
	@bench/bench.sh

# A host of 100,000 archives (issue 20): 100 destinations x 1,000 small .tar.gz arriving at once,
# against 1,000; long (tens of minutes on 2 cores). SCALE_RUNS=N measures the first N runs only.
bench-scale: release
	@python3 bench/scale.py .build/release --destinations $(or $(SCALE_DESTINATIONS),100) --archives $(or $(SCALE_ARCHIVES),1000) \
		$(if $(SCALE_RUNS),--runs $(SCALE_RUNS))

demo: release
	@scripts/demo.sh .build/release

# Random damage to archives from the real tools; FUZZ_ROUNDS per format and kind of damage.
fuzz: release
	@scripts/damage-fuzz.py --rounds $(or $(FUZZ_ROUNDS),100) --seed $(or $(FUZZ_SEED),1)

# Packaging (docs/install.md). `make install` builds, then copies into DESTDIR/PREFIX (the
# Debian package uses PREFIX=/usr); BUILD_DIR picks other binaries (the tests install debug ones).
PREFIX ?= /usr/local
BUILD_DIR ?= .build/release
GENERATED = .build/generated

man: deps $(if $(filter .build/release,$(BUILD_DIR)),release)
	@SWIFT=$(SWIFT) scripts/make-man.sh $(BUILD_DIR) $(GENERATED)/man

completions:
	@scripts/make-completions.sh $(BUILD_DIR) $(GENERATED)/completions

install: $(if $(filter .build/release,$(BUILD_DIR)),release) man completions
	PREFIX=$(PREFIX) scripts/install.sh $(BUILD_DIR) $(GENERATED)/man $(GENERATED)/completions

# dist/verifyd_VERSION_amd64.deb, with debhelper; its debug symbols in verifyd-dbgsym_*.ddeb.
deb: $(if $(filter .build/release,$(BUILD_DIR)),release) man completions
	@scripts/make-deb.sh $(BUILD_DIR) $(GENERATED)/man $(GENERATED)/completions

# The package under a real systemd in a Debian 12 container (skipped with one line, before
# building anything, where containers cannot run).
test-system:
	@if scripts/test-system.sh --can-run; then $(MAKE) --no-print-directory deb && scripts/test-system.sh dist/verifyd_*_amd64.deb; fi

clean:
	rm -rf .build demo dist
