def main() -> None:
    from lossbench.cli.app import run

    run()
