from jenkins2flow.cli.main import main

main()
