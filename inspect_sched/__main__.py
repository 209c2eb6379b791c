from inspect_sched.cli import main

main()
