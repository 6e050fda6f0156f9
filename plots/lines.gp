# @NAME@.gp -- drawn by hgbench from its template plots/lines.gp.
# Edit freely, then redraw from this folder with:   gnuplot @NAME@.gp
#
# @DATA@ holds one block per series (gnuplot's `index`, from 0), with columns
#     1 x   2 median of y   3 10 % quantile   4 90 % quantile   5 bound (NaN: none)
# taken over the repetitions (seeds) at each x.

set terminal @TERMINAL@
set output '@OUTPUT@'
set encoding utf8

# Okabe-Ito colours (safe for colour-blind readers); series i is drawn with linetype i.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7  ps 0.8   # blue
set linetype 2 lc rgb '#D55E00' lw 2 pt 5  ps 0.75  # vermillion
set linetype 3 lc rgb '#009E73' lw 2 pt 9  ps 1.0   # bluish green
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.0   # reddish purple
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 0.9   # orange
set linetype 6 lc rgb '#56B4E9' lw 2 pt 6  ps 0.8   # sky blue
set linetype 7 lc rgb '#000000' lw 2 pt 4  ps 0.75  # black
set linetype 8 lc rgb '#F0E442' lw 2 pt 8  ps 1.0   # yellow
set linetype cycle 8

set title @TITLE@
set xlabel @XLABEL@
set ylabel @YLABEL@
@AXES@
set grid xtics ytics mxtics mytics lt 1 lw 0.5 lc rgb '#d8d8d8', lt 1 lw 0.5 lc rgb '#eeeeee'
set border 31 lw 1
# A little room beyond the data, so that no curve runs along the frame.
set offsets graph 0.02, graph 0.02, graph 0.04, graph 0.04
set key @KEY@ Left reverse box opaque samplen 2.5 spacing 1.1 width 1
# The 10-90 % band: the series' colour, see-through, no border.
set style fill transparent solid 0.2 noborder

data = '@DATA@'

# Bands first so that no band hides a line; then per series its median and, dashed, its bound.
plot \
@PLOT@
