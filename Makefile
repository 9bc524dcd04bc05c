# topo — build, demo, test, benchmark.
GO      ?= go
BIN     := bin/topo
PKGS    := ./...

.PHONY: all build demo course test test-deps test-kernel vet fuzz bench clean

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

# Draw every lab of the course (examples/course/NN-*/lab.svg) with
# topo graph; TestCourseGraphs fails when one is not current.
course: build
	@for d in examples/course/[0-9][0-9]-*/; do \
		$(BIN) graph $$d/lab.yaml --format svg -o $$d/lab.svg || exit 1; \
	done

# Tools the integration tests drive (as a user would), installed from
# Debian's packages when missing. tshark and tcpdump read back the files
# of topo capture; tshark's package asks whether non-root users may
# capture: no (answered before, so nothing waits for a terminal).
# Graphviz's dot parses back what `topo graph --format dot` writes;
# Chromium (headless) is the browser the tests of `topo ui` drive.
# The course (examples/course) needs python3 and curl (lab 11's web
# server and client) and radvd (lab 12; its service stays off without
# /etc/radvd.conf, and the lab starts it in its router); lab 7 iperf3.
# ethtool -S shows which queue a veth received on (TestFloodOffloads).
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
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v busybox >/dev/null || missing="$$missing busybox-static"; \
	command -v radvd >/dev/null || missing="$$missing radvd"; \
	command -v iperf3 >/dev/null || missing="$$missing iperf3"; \
	command -v ethtool >/dev/null || missing="$$missing ethtool"; \
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

# The traffic-control tests (TestNetem*, TestImpair*), the test that
# changes the root namespace (TestInheritedSysctls) and lab 7 of the
# course (TestCourse/07-impairments: iperf3 over netem) on Debian 12's
# stock kernel, booted under QEMU: this machine's kernel has no netem,
# and its root namespace is not the tests' to change.
# Fetches the kernel from Debian's mirrors once (test/kernel/.cache/).
test-kernel:
	GO=$(GO) ./test/kernel/run

bench: build
	./bench/run

clean:
	rm -rf bin
