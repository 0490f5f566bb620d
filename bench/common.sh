# Shared by the benchmarks (sourced): errors, arithmetic without bc, medians.
die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }
# median COLUMN FILE: the median of a whitespace-separated column (the mean of the middle two
# for an even count).
median() {
  awk -v c="$1" '{ print $c }' "$2" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
