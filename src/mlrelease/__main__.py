from mlrelease.cli import main

raise SystemExit(main())
