from dedupe.cli.main import run

run()
