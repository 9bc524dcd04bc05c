# topo — build, demo, test, benchmark.
GO      ?= go
BIN     := bin/topo
PKGS    := ./...

.PHONY: all build demo test test-deps test-kernel vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/topo

# Build topo, bring up the classic two-host lab, show it and ping
# through it with topo's own probe, then take it down.
demo: build
	$(BIN) up examples/two-hosts.yaml
	$(BIN) status two-hosts
	$(BIN) exec --lab two-hosts h1 -- ip -br addr show eth0
	$(BIN) ping --lab two-hosts h1 h2 -c 3
	$(BIN) down two-hosts

# Tools the integration tests drive (as a user would), installed from
# Debian's packages when missing. tshark and tcpdump read back the files
# of topo capture; tshark's package asks whether non-root users may
# capture: no (answered before, so nothing waits for a terminal).
# Graphviz's dot parses back what `topo graph --format dot` writes;
# Chromium (headless) is the browser the tests of `topo ui` drive.
test-deps:
	@missing=""; \
	command -v ping >/dev/null || missing="$$missing iputils-ping"; \
	command -v tcpdump >/dev/null || missing="$$missing tcpdump"; \
	command -v tshark >/dev/null || missing="$$missing tshark"; \
	command -v setpriv >/dev/null || missing="$$missing util-linux"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v nft >/dev/null || missing="$$missing nftables"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	test -x /usr/lib/frr/zebra || missing="$$missing frr"; \
	command -v dnsmasq >/dev/null || missing="$$missing dnsmasq-base"; \
	test -x /usr/sbin/dhcpcd || missing="$$missing dhcpcd-base"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The whole suite: unit tests (no root needed) and integration tests
# that build real labs (root), plus a bounded fuzz run of the loader.
# Packages run one at a time (-p 1): the kernel's neighbour table is one
# for the whole machine (1024 entries), and the probing tests of two
# packages at once would fill it and fail each other.
test: test-deps
	$(GO) vet $(PKGS)
	$(GO) test -p 1 -count=1 -timeout 20m $(PKGS)
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./pkg/topology/

# The traffic-control tests (TestNetem*, TestImpair*) and the test that
# changes the root namespace (TestInheritedSysctls) on Debian 12's
# stock kernel, booted under QEMU: this machine's kernel has no netem,
# and its root namespace is not the tests' to change.
# Fetches the kernel from Debian's mirrors once (test/kernel/.cache/).
test-kernel:
	GO=$(GO) ./test/kernel/run

bench: build
	./bench/run

clean:
	rm -rf bin
