from tier_cli.launch import main

raise SystemExit(main())
