# oracle.awk: what BIND must serve for every site, from the faults the
# soak injected (behaviour rules 3, 4, 6 and 12), compared with what it
# serves.  Run by soak.sh:
#
#	awk -f oracle.awk -v out=NEWMODEL health sites model served [uncertain]
#
# health:    ADDR u|d            the class of each address's behaviour now
#                                (every address has had rise/fall probes of it)
# sites:     NAME POD P F NREC   P, F: comma lists of addresses; NREC 1 or 2
#                                (the records are NAME and www.NAME)
# model:     NAME MODE PREV      MODE auto, held or for (a hold with --for,
#                                expired by now); PREV the set expected at
#                                the last check, or what a flip published
# served:    AXFR lines of the zone (dig +noall +answer)
# uncertain: ADDR                addresses whose health a kill -9 may have
#                                left stale in the state file (see below)
#
# For a site in auto mode the rules are memoryless once every address is
# confirmed: the primaries that are up if any is; else the failovers that
# are up if any is; else (every address down: fail static) what was
# published before.  soak.sh changes at most one thing per pod between two
# checks, so "before" is PREV.  A held site serves what its flip published.
#
# After a kill -9 the daemon restarts from a state file whose counters may
# be up to a minute old (they are saved once a minute), so a site that
# ends with every address down may have switched on stale health before
# its last good address was confirmed down.  For those sites alone any set
# the rules give for a health vector with the uncertain addresses either
# way is accepted (counted as "ambiguous"), and adopted.
#
# Prints one line per record that differs: "WRONG NAME RECORD want=SET
# served=SET"; then "SUMMARY sites=N wrong=N ambiguous=N".  Writes the new
# model to out.

function sortset(s,	n, a, i, j, t, r) {
	if (s == "" || s == "-")
		return "-"
	n = split(s, a, ",")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	r = a[1]
	for (i = 2; i <= n; i++)
		if (a[i] != a[i - 1])
			r = r "," a[i]
	return r
}

# the addresses of list s that are up in h[]; "" when none
function upof(s, h,	n, a, i, r) {
	n = split(s, a, ",")
	r = ""
	for (i = 1; i <= n; i++)
		if (h[a[i]] == "u")
			r = r (r == "" ? "" : ",") a[i]
	return r
}

# rule 3 and 4 with every address confirmed: "" means keep (both down)
function desired(p, f, h,	s) {
	if ((s = upof(p, h)) != "")
		return sortset(s)
	if ((s = upof(f, h)) != "")
		return sortset(s)
	return ""
}

FILENAME == ARGV[1] { health[$1] = $2; next }
FILENAME == ARGV[2] {
	ns++; name[ns] = $1; pri[$1] = $3; fo[$1] = $4; nrec[$1] = $5
	next
}
FILENAME == ARGV[3] { mode[$1] = $2; prev[$1] = sortset($3); next }
FILENAME == ARGV[4] {
	if ($4 != "A" && $4 != "AAAA")
		next
	r = $1; sub(/\.$/, "", r)
	served[r] = served[r] (served[r] == "" ? "" : ",") $5
	next
}
FILENAME == ARGV[5] { unc[$1] = 1; nunc++; next }

END {
	wrong = amb = 0
	for (i = 1; i <= ns; i++) {
		s = name[i]
		m = mode[s]
		if (m == "held") {
			want = prev[s]
		} else {
			m = "auto"
			want = desired(pri[s], fo[s], health)
			if (want == "")
				want = prev[s]
		}
		got = sortset(served[s])
		if (nrec[s] == 2) {
			got2 = sortset(served["www." s])
			if (got2 != got)
				got = got "|" got2
		}
		if (got != want && m == "auto" && nunc > 0 &&
		    desired(pri[s], fo[s], health) == "" &&
		    accept(s, got)) {
			amb++
			want = got
		}
		if (got != want) {
			wrong++
			printf "WRONG %s mode=%s primary=%s failover=%s want=%s served=%s\n",
			    s, m, pri[s], fo[s], want, got
		}
		printf "%s %s %s\n", s, m, want >out
	}
	printf "SUMMARY sites=%d wrong=%d ambiguous=%d\n", ns, wrong, amb
}

# got is what the rules give for some mix of the uncertain addresses'
# two classes (see the head of this file)
function accept(s, got,	all, n, a, i, k, u, mask, h2, d) {
	all = pri[s] "," fo[s]
	n = split(all, a, ",")
	k = 0
	for (i = 1; i <= n; i++)
		if (a[i] in unc)
			u[k++] = a[i]
	for (mask = 1; mask < 2 ^ k; mask++) {
		for (i = 1; i <= n; i++)
			h2[a[i]] = health[a[i]]
		for (i = 0; i < k; i++)
			if (int(mask / 2 ^ i) % 2 == 1)
				h2[u[i]] = health[u[i]] == "u" ? "d" : "u"
		if ((d = desired(pri[s], fo[s], h2)) != "" && d == got)
			return 1
	}
	return 0
}
