#!/bin/sh
# test_tokenize.sh — `needle tokenize` writes HF's ids and offsets for every golden text of
# the three reference tokenizers (the golden lines themselves are the input: extra fields are
# ignored), pairs match HF tokenizers 0.23.2 (values below computed with it), and bad input
# stops with the line number after writing the lines before it.
set -e
T=tests/fixtures/tokenizers
out=$(mktemp)
want=$(mktemp)
trap 'rm -f "$out" "$want"' EXIT
for name in bert-base-uncased bert-base-cased roberta-base; do
    ./needle tokenize --tokenizer $T/$name < $T/$name/golden.jsonl > "$out"
    sed 's/.*"ids": /{"ids":/; s/ //g' $T/$name/golden.jsonl > "$want"
    cmp "$out" "$want"
done
./needle tokenize --tokenizer $T/vocab/bert-base-uncased < $T/bert-base-uncased/golden.jsonl > "$out"
sed 's/.*"ids": /{"ids":/; s/ //g' $T/bert-base-uncased/golden.jsonl > "$want"
cmp "$out" "$want"

printf '%s\n' '{"text": "Who?", "text_pair": "Me."}' | ./needle tokenize --tokenizer $T/roberta-base --pair > "$out"
echo '{"ids":[0,12375,116,2,2,5096,4,2],"offsets":[[0,0],[0,3],[3,4],[0,0],[0,0],[0,2],[2,3],[0,0]]}' > "$want"
cmp "$out" "$want"
printf '%s\n' '{"text": "Who wrote it?", "text_pair": "Héllo, wörld! It was me."}' | ./needle tokenize --tokenizer $T/bert-base-uncased --pair > "$out"
echo '{"ids":[101,2040,2626,2009,1029,102,7592,1010,2088,999,2009,2001,2033,1012,102],"offsets":[[0,0],[0,3],[4,9],[10,12],[12,13],[0,0],[0,5],[5,6],[7,12],[12,13],[14,16],[17,20],[21,23],[23,24],[0,0]]}' > "$want"
cmp "$out" "$want"

if printf '{"text": "a"}\n{"text": 3}\n{"text": "b"}\n' | ./needle tokenize --tokenizer $T/bert-base-uncased > "$out" 2> err.tmp; then exit 1; fi
grep -q 'stdin line 2: missing string field "text"' err.tmp
test "$(wc -l < "$out")" -eq 1
if printf '{"text": "a"}\n' | ./needle tokenize --tokenizer $T/bert-base-uncased --pair > "$out" 2> err.tmp; then exit 1; fi
grep -q 'missing string field "text_pair"' err.tmp
if ./needle tokenize --tokenizer /nonexistent < /dev/null 2> err.tmp; then exit 1; fi
grep -q 'no such tokenizer' err.tmp
./needle tokenize --help | grep -q -- "--pair"
rm -f err.tmp
