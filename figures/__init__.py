"""Pure figure builders: data in, plotly figure out, no I/O. Screens and the PDF report share them."""
