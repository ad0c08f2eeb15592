from mlrelease.cli.main import main

raise SystemExit(main())
