# @NAME@.gp -- drawn by hgbench from its template plots/images.gp.
# Edit freely, then redraw from this folder with:   gnuplot @NAME@.gp
#
# @DATA@ holds one block per panel (gnuplot's `index`, from 0): the image as a matrix, one
# text row per image row (top row first), grey levels with 0 black and 1 white.

set terminal @TERMINAL@
set output '@OUTPUT@'
set encoding utf8

set palette gray
set cbrange [0:1]
unset colorbox
unset xtics
unset ytics
unset border
set size ratio -1
set lmargin 0.5
set rmargin 0.5
data = '@DATA@'

@PLOT@
