from kuzbass.cli import app

app(prog_name="kuzbass")
