#!/bin/sh
# layers.sh: the modules' layering, checked.  Every module has a rank; a
# file may include only headers of its own rank or below, so that no
# lower layer reaches up (round.h never includes cmd.h, the probe and
# publish sides never know rounds or health, ...).  A new module must be
# given a rank here.  Prints the edges that break it; exits 1 if any.
set -u
cd "$(dirname "$0")/../.."

rank() {
	case $1 in
	util|log|version|parse|diag|addr|sdnotify|jobq)	echo 0 ;;
	yamlwalk|yamldoc|keyfile)			echo 1 ;;
	config|config_load|checkspec|vote)		echo 2 ;;
	probe|probe_type|dnsio|dnsquery|notify|dnsxfr|mirror|history) echo 3 ;;
	dnsupdate|health)				echo 4 ;;
	publish|state|metrics)				echo 5 ;;
	session|quorum)					echo 6 ;;
	round)						echo 7 ;;
	cmd|daemon|dstate|reload|sched|scheduler)	echo 8 ;;
	main)						echo 9 ;;
	*)						echo "" ;;
	esac
}

# the module a file belongs to: probe_http.c -> probe, cmd_flip.c -> cmd
module() {
	m=$(basename "$1"); m=${m%.[ch]}
	case $m in
	probe_type)	echo probe_type ;;
	probe_*)	echo probe ;;
	publish_*)	echo publish ;;
	cmd_*)		echo cmd ;;
	config_*)	echo config ;;
	*)		echo "$m" ;;
	esac
}

bad=0
for f in src/*.c include/*.h; do
	m=$(module "$f")
	r=$(rank "$m")
	if [ -z "$r" ]; then
		echo "$f: module $m has no rank in tests/lint/layers.sh"
		bad=1
		continue
	fi
	for h in $(sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f"); do
		hr=$(rank "$h")
		if [ -z "$hr" ]; then
			echo "$f: includes $h.h, which has no rank"
			bad=1
		elif [ "$hr" -gt "$r" ]; then
			echo "$f ($m, rank $r) includes $h.h (rank $hr): a lower layer reaching up"
			bad=1
		fi
	done
done
[ "$bad" -eq 0 ] && echo "layers: every include goes down or across"
exit "$bad"
