from tier_cli.cli import main

main()
