#!/bin/sh
# test_cli_basics.sh — the dispatcher: --help lists commands, unknown commands and options
# fail with status 2 and a message, `needle version` names the linked libraries.
set -e
./needle --help | grep -q "version"
./needle version | grep -q "^needle "
./needle version | grep -q "^sqlite "
if ./needle no-such-command 2>err.tmp; then exit 1; fi
grep -q "unknown command 'no-such-command'" err.tmp
if ./needle version --bogus 2>err.tmp; then exit 1; fi
grep -q "unknown option '--bogus'" err.tmp
rm -f err.tmp
