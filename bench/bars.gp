# bars.gp — one clustered bar chart, SVG, for bench/run.sh.
#   gnuplot -e "data='FILE'; out='OUT.svg'; title='...'; ylab='...'" bench/bars.gp
# FILE: a header line naming the columns ("scenario" then one per series), then one line per
# bar group: a quoted label and one value per series ("-" where a series has no bar).
set terminal svg size 1100,560 dynamic font "sans,12" background "#ffffff"
set output out
set title title noenhanced
set ylabel ylab noenhanced
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top right noenhanced
set xtics rotate by -30 left noenhanced
set bmargin 9
ncol = system(sprintf("head -1 '%s' | wc -w", data)) + 0
plot for [i=2:ncol] data using i:xtic(1) title columnheader(i)
