#!/usr/bin/env bash
# Makes the summary and the charts of a bench/run.sh results dir from its results.csv, so that
# they (and the docs) can be made again without running the benchmarks.
#
#   bench/charts.sh DIR             DIR/medians.csv, summary.md, time-<size>MB.svg, rss-<size>MB.svg
#   bench/charts.sh DIR --publish   that, then for each size that docs/performance.md has a
#                                   placeholder for: copies the charts, machine.md, checks.txt and
#                                   that size's rows of results.csv into docs/performance/<size>MB/
#                                   and writes the tables between the placeholder's two lines
#
# summary.md holds, per size, a table of medians for each shape and operation: wall time, CPU
# (user+sys) and peak RSS of both tools, the ratios etcdsnap/etcdctl, the issue's target for
# each and whether it is met. Needs gnuplot (bash scripts/deps.sh --bench). DOCS (docs) is where
# --publish writes; BENCH_CHARTS=png makes PNG charts instead of SVG (for a viewer without SVG).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: bench/charts.sh RESULTS_DIR [--publish]"; fi
DIR=$1
PUBLISH=0
case ${2:-} in
  "") ;;
  --publish) PUBLISH=1 ;;
  *) die "usage: bench/charts.sh RESULTS_DIR [--publish]" ;;
esac
DOCS=${DOCS:-docs}
FORMAT=${BENCH_CHARTS:-svg}
case $FORMAT in
  svg) TERMINAL='svg size 1100,560 dynamic noenhanced font "sans,12" background "white"' ;;
  png) TERMINAL='pngcairo size 1100,560 noenhanced font "sans,10" background "white"' ;;
  *) die "BENCH_CHARTS is svg or png, not '$FORMAT'" ;;
esac
CSV=$DIR/results.csv
[ -f "$CSV" ] || die "no results.csv in $DIR (bench/run.sh writes it)"
command -v gnuplot >/dev/null || die "gnuplot not found: run bash scripts/deps.sh --bench"
head -1 "$CSV" | grep -q '^shape,size_mb,op,tool,run,wall_s,cpu_s,rss_kib,snapshot_bytes' ||
  die "$CSV does not start with bench/run.sh's header"

# medians.csv: a row per shape, size, operation and tool, in the order the CSV first has them.
awk '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) {  # insertion sort: a few runs
      t = a[i] + 0
      for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
      a[j + 1] = t
    }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  BEGIN { FS = OFS = "," }
  NR == 1 { next }
  {
    k = $1 FS $2 FS $3 FS $4
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    bytes[k] = $9
    if ($6 == "") { note[k] = $10; next }
    n[k]++; wall[k] = wall[k] " " $6; cpu[k] = cpu[k] " " $7; rss[k] = rss[k] " " $8
    run_wall[k, $5] = $6; run_cpu[k, $5] = $7; runs_of[k] = runs_of[k] " " $5
  }
  # paired(k, values, field): the median over the runs of etcdsnap/etcdctl within each run (the
  # issue asks for ratios in the same run: a slow spell of the machine moves both).
  function paired(k,   other, list_w, list_c, r, a, i) {
    other = k; sub(/,etcdsnap$/, ",etcdctl", other)
    split(runs_of[k], a, " ")
    list_w = list_c = ""
    for (i in a) {
      r = a[i]
      if (!((other, r) in run_wall)) continue
      if (run_wall[other, r] + 0 > 0) list_w = list_w " " run_wall[k, r] / run_wall[other, r]
      if (run_cpu[other, r] + 0 > 0) list_c = list_c " " run_cpu[k, r] / run_cpu[other, r]
    }
    return (list_w == "" ? "" : median(list_w)) "," (list_c == "" ? "" : median(list_c))
  }
  END {
    print "shape,size_mb,op,tool,runs,wall_s,cpu_s,rss_kib,snapshot_bytes,note,wall_ratio,cpu_ratio"
    for (i = 1; i <= nk; i++) {
      k = order[i]
      ratios = k ~ /,etcdsnap$/ && n[k] ? paired(k) : ","
      if (n[k]) print k, n[k], median(wall[k]), median(cpu[k]), median(rss[k]), bytes[k], note[k], ratios
      else print k, 0, "", "", "", bytes[k], note[k], ratios
    }
  }' "$CSV" >"$DIR/medians.csv"
SIZES=$(awk -F, 'NR > 1 && !seen[$2]++ { print $2 }' "$DIR/medians.csv")

# fragment SIZE LINK_PREFIX: the markdown for one size: the table, notes per shape, the charts
# (their paths prefixed by LINK_PREFIX).
fragment() {
  local checks=$DIR/checks.txt
  [ -f "$checks" ] || checks=/dev/null
  awk -v size="$1" -v prefix="$2" -v format="$FORMAT" '
    function num(k) { return (k in m) ? m[k] : "" }
    function cell(v, fmt) { return v == "" ? "—" : sprintf(fmt, v) }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
    function mib(kib) { return kib == "" ? "" : kib / 1024 }
    function grouped(n,   s) {  # 1234567 -> 1,234,567 (%d: mawk caps it at 2^31-1)
      s = sprintf("%.0f", n)
      while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s)
      sub(/^,/, "", s)
      return s
    }
    # check(label, value, limit): a value above its limit adds label to fails.
    function check(label, value, limit) {
      if (value != "" && value + 0 > limit) fails = fails (fails == "" ? "" : ", ") label
    }
    BEGIN {
      FS = ","
      split("save status-warm status-cold verify restore", ops, " ")
      label["save"] = "save (mTLS)"; label["status-warm"] = "status, warm"
      label["status-cold"] = "status, cold"; label["verify"] = "verify"
      label["restore"] = "restore"
      target["save"] = "CPU ≤ 0.5×, wall ≤ 0.9×, RSS ≤ 16 MiB"
      target["status-warm"] = "wall ≤ 0.3×, RSS ≤ 64 MiB"
      target["status-cold"] = "wall ≤ 0.15×, RSS ≤ 64 MiB"
      target["verify"] = "wall ≤ 2× etcdsnap status, warm"
      target["restore"] = "wall ≤ 0.25×"
    }
    NR == FNR {
      if (FNR == 1 || $2 != size) next
      if (!($1 in shapes)) { shapes[$1] = 1; shape_list[++ns] = $1 }
      k = $1 SUBSEP $3 SUBSEP $4
      m[k, "wall"] = $6; m[k, "cpu"] = $7; m[k, "rss"] = $8; m[k, "note"] = $10
      m[k, "rw"] = $11; m[k, "rc"] = $12
      if ($5 + 0 > runs[$1] + 0) runs[$1] = $5
      bytes[$1] = $9
      next
    }
    {  # checks.txt: "shape size_mb what was checked"
      split($0, f, " ")
      if (f[2] != size) next
      c = $0; sub(/^[^ ]+ [^ ]+ /, "", c); notes[f[1]] = notes[f[1]] "; " c
    }
    END {
      printf "| shape | operation | wall etcdsnap (s) | wall etcdctl (s) | ratio "
      printf "| CPU etcdsnap (s) | CPU etcdctl (s) | ratio "
      print "| RSS etcdsnap (MiB) | RSS etcdctl (MiB) | target | |"
      print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"
      for (s = 1; s <= ns; s++) {
        sh = shape_list[s]
        for (o = 1; o <= 5; o++) {
          op = ops[o]; a = sh SUBSEP op SUBSEP "etcdsnap"; b = sh SUBSEP op SUBSEP "etcdctl"
          if (!((a, "wall") in m) && !((b, "wall") in m)) continue
          if (num(a SUBSEP "note") != "" && num(a SUBSEP "wall") == "") {
            printf "| %s | %s | %s | — | — | — | — | — | — | — | %s | — |\n", sh, \
              label[op], num(a SUBSEP "note"), target[op]
            continue
          }
          aw = num(a SUBSEP "wall"); bw = num(b SUBSEP "wall")
          ac = num(a SUBSEP "cpu"); bc = num(b SUBSEP "cpu")
          ar = mib(num(a SUBSEP "rss")); br = mib(num(b SUBSEP "rss"))
          rw = num(a SUBSEP "rw"); rc = num(a SUBSEP "rc"); fails = ""
          if (rw == "") rw = ratio(aw, bw)
          if (rc == "") rc = ratio(ac, bc)
          if (op == "save") { check("CPU", rc, 0.5); check("wall", rw, 0.9); check("RSS", ar, 16) }
          if (op == "status-warm") { check("wall", rw, 0.3); check("RSS", ar, 64) }
          if (op == "status-cold") { check("wall", rw, 0.15); check("RSS", ar, 64) }
          if (op == "restore") check("wall", rw, 0.25)
          wall_ratio = cell(rw, "%.2f")
          if (op == "verify") {
            rw = ratio(aw, num(sh SUBSEP "status-warm" SUBSEP "etcdsnap" SUBSEP "wall"))
            check("wall", rw, 2)
            wall_ratio = rw == "" ? "—" : sprintf("%.2f× status", rw)
          }
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sh, label[op], \
            cell(aw, "%.2f"), cell(bw, "%.2f"), wall_ratio, cell(ac, "%.2f"), cell(bc, "%.2f"), \
            cell(rc, "%.2f"), cell(ar, "%.1f"), cell(br, "%.1f"), target[op], \
            fails == "" ? "pass" : "**FAIL** " fails
        }
      }
      print ""
      print "Times are medians; a ratio is the median over the runs of etcdsnap/etcdctl within each"
      print "run (the tools take turns in every run). The targets are issue #14'"'"'s."
      for (s = 1; s <= ns; s++) {
        sh = shape_list[s]
        printf "- %s: snapshot %s bytes, %d run%s%s.\n", sh, grouped(bytes[sh]), runs[sh], \
          runs[sh] == 1 ? "" : "s", notes[sh]
      }
      print ""
      printf "![median wall time per operation and tool, %d MiB](%stime-%dMB.%s)\n", size, prefix, \
        size, format
      printf "![median peak RSS per operation and tool, %d MiB](%srss-%dMB.%s)\n", size, prefix, \
        size, format
    }' "$DIR/medians.csv" "$checks"
}

# chart SIZE METRIC: grouped bars, a cluster per shape and operation (in the table's order, a gap
# between shapes), a bar per tool, each with its value.
chart() {
  local size=$1 metric=$2 col scale="" dat=$DIR/.chart-$1-$2.dat out ylabel what
  case $metric in
    time) col=6 ylabel="seconds (median wall time)" what="wall time" ;;
    rss) col=8 ylabel="MiB (median peak RSS)" what="peak RSS" ;;
  esac
  out=$DIR/$metric-${size}MB.$FORMAT
  awk -F, -v size="$size" -v col="$col" -v metric="$metric" '
    BEGIN { split("save status-warm status-cold verify restore", ops, " ") }
    NR == 1 || $2 != size || $col == "" { next }
    {
      if (!($1 in seen)) { seen[$1] = 1; shapes[++n] = $1 }
      x[$1, $3, $4] = metric == "rss" ? $col / 1024 : $col; has[$1, $3] = 1
    }
    END {
      for (s = 1; s <= n; s++) {
        if (s > 1) print "\"\" - -"
        for (o = 1; o <= 5; o++) {
          if (!((shapes[s], ops[o]) in has)) continue
          a = (shapes[s], ops[o], "etcdsnap") in x ? x[shapes[s], ops[o], "etcdsnap"] : "-"
          b = (shapes[s], ops[o], "etcdctl") in x ? x[shapes[s], ops[o], "etcdctl"] : "-"
          printf "\"%s %s\" %s %s\n", shapes[s], ops[o], a, b
        }
      }
    }' "$DIR/medians.csv" >"$dat"
  [ -s "$dat" ] || { rm -f "$dat"; return 0; }
  # A log scale when the bars span more than a factor of 30, from half the smallest.
  local range
  range=$(awk '{ for (i = NF - 1; i <= NF; i++) if ($i != "-" && $i > 0) {
                   if (min == "" || $i < min) min = $i; if ($i > max) max = $i } }
               END { if (min != "" && max / min > 30) print min / 2, max * 2 }' "$dat")
  if [ -n "$range" ]; then
    scale="set logscale y; set ytics format '%g'; set yrange [${range% *}:${range#* }]"
    ylabel="$ylabel, log scale"
  fi
  gnuplot <<EOF || die "gnuplot failed on $dat"
set terminal $TERMINAL
set output "$out"
set title "etcdsnap vs etcdctl 3.4: $what per operation, ${size} MiB per data shape"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set ylabel "$ylabel"
set xtics rotate by 30 right nomirror
set grid ytics
set offsets 0, 0, graph 0.08, 0
set yrange [0:*]
$scale
# Two bars a cluster and a gap of one: the bars stand 1/6 either side of the cluster's middle.
plot "$dat" using 2:xtic(1) title "etcdsnap" linecolor rgb "#1b9e77", \
     "" using 3 title "etcdctl" linecolor rgb "#7570b3", \
     "" using (\$0 - 1.0 / 6):2:(sprintf("%.3g", \$2)) with labels offset 0, 0.6 \
        font ",8" notitle, \
     "" using (\$0 + 1.0 / 6):3:(sprintf("%.3g", \$3)) with labels offset 0, 0.6 \
        font ",8" notitle
EOF
  rm -f "$dat"
}

{
  echo "# etcdsnap vs etcdctl: medians"
  echo
  if [ -f "$DIR/machine.md" ]; then sed 1,2d "$DIR/machine.md"; echo; fi
  for size in $SIZES; do
    echo "## $size MiB per data shape"
    echo
    fragment "$size" ""
    echo
  done
} >"$DIR/summary.md"
for size in $SIZES; do
  chart "$size" time
  chart "$size" rss
done
echo "bench: $DIR/summary.md and charts made" >&2
[ "$PUBLISH" = 1 ] || exit 0

DOC=$DOCS/performance.md
[ -f "$DOC" ] || die "$DOC not found"
for size in $SIZES; do
  begin="<!-- bench:${size}MB begin -->" end="<!-- bench:${size}MB end -->"
  if ! grep -qxF "$begin" "$DOC"; then
    echo "bench: $DOC has no placeholder for $size MiB ($begin): not published" >&2
    continue
  fi
  # The two lines, exactly, once each and in order: else the rewrite below would drop the rest.
  if [ "$(grep -cxF "$begin" "$DOC")" != 1 ] || [ "$(grep -cxF "$end" "$DOC")" != 1 ] ||
    [ "$(grep -nxF "$begin" "$DOC" | cut -d: -f1)" -gt "$(grep -nxF "$end" "$DOC" | cut -d: -f1)" ]; then
    die "$DOC: the lines '$begin' and '$end' must appear once each, in that order"
  fi
  dest=$DOCS/performance/${size}MB
  mkdir -p "$dest"
  cp "$DIR/time-${size}MB.$FORMAT" "$DIR/rss-${size}MB.$FORMAT" "$dest/"
  for f in machine.md checks.txt; do [ ! -f "$DIR/$f" ] || cp "$DIR/$f" "$dest/"; done
  awk -F, -v size="$size" 'NR == 1 || $2 == size' "$CSV" >"$dest/results.csv"
  {
    if [ -f "$DIR/machine.md" ]; then
      echo "Measured on:"
      echo
      sed 1,2d "$DIR/machine.md"
      echo
    fi
    fragment "$size" "performance/${size}MB/"
    echo
    echo "Every run: [results.csv](performance/${size}MB/results.csv)."
  } >"$DIR/.fragment"
  awk -v begin="$begin" -v end="$end" -v frag="$DIR/.fragment" '
    $0 == begin { print; while ((getline line < frag) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip' "$DOC" >"$DOC.part"
  mv "$DOC.part" "$DOC"
  rm -f "$DIR/.fragment"
  echo "bench: published $size MiB into $DOC and $dest" >&2
done
