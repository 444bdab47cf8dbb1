from tier_cli.launch import main

main()
