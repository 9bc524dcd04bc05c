#!/bin/sh
# Bring a lab split across sites up on its machines over ssh: each
# machine gets the file and builds its own site's part.
#
#   deploy/ssh-up.sh lab.yaml m1=root@10.1.0.1 m2=root@10.1.0.2 m3=root@10.1.0.3
#
# SITE=DEST pairs name each site of the file and the ssh destination of
# its machine (which has topo installed and is reached by root, or by a
# user allowed to run it with sudo: set SUDO=sudo). The same command
# converges a lab that is up after an edit; DOWN=1 takes it down.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 FILE SITE=DEST..." >&2; exit 2; }
file=$1
shift
remote=/tmp/topo-$(basename "$file")
sudo=${SUDO:-}
for pair in "$@"; do
	site=${pair%%=*}
	dest=${pair#*=}
	[ -n "$site" ] && [ "$site" != "$pair" ] || { echo "$0: $pair is not SITE=DEST" >&2; exit 2; }
	scp -q "$file" "$dest:$remote"
	if [ "${DOWN:-}" = 1 ]; then
		ssh "$dest" $sudo topo down -f "$remote" --site "$site"
	else
		ssh "$dest" $sudo topo up "$remote" --site "$site"
	fi
done
