#!/bin/sh
# test_retriever_pretrain.sh — `needle retriever pretrain` end to end on a 6-document corpus
# written here: ICT and cropping records as JSON lines (and a JSON array by the name), one per
# passage with two or more sentences (ICT), the positive named after its source and never
# among its own hard negatives; the same seed gives the same file and another seed another;
# plain text split into passages; the output trains with `retriever train`; bad input names
# the file and line and leaves no output behind.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N=./needle
export OMP_NUM_THREADS=1 NEEDLE_LOG=warn
cat > "$T/corpus.jsonl" <<'J'
{"_id": "d1", "title": "Photosynthesis", "text": "Plants convert light into chemical energy. The chloroplasts of their cells hold chlorophyll."}
{"_id": "d2", "title": "Mitochondria", "text": "The mitochondria of animal cells produce energy. They make ATP from glucose and oxygen."}
{"_id": "d3", "title": "Insulin", "text": "Insulin is secreted by the pancreas. It lowers blood glucose after a meal."}
{"_id": "d4", "title": "Vaccines", "text": "Vaccination trains the immune system. Antigens teach the body to make antibodies."}
{"_id": "d5", "title": "Glucagon", "text": "Glucagon raises blood glucose."}
{"_id": "d6", "title": "Antibodies", "text": "B cells secrete antibodies. Antibodies bind antigens of the immune system."}
J

$N retriever pretrain --help | grep -q -- "--ict-keep"
$N retriever pretrain --corpus "$T/corpus.jsonl" --num-hard-negatives 2 --out "$T/ict.jsonl" 2> "$T/err"
grep -q "5 ict records written" "$T/err"
grep -q "1 too short for a pair" "$T/err" # d5: one sentence
test "$(wc -l < "$T/ict.jsonl")" -eq 5
# each record's positive id is never one of its hard negatives' ids
while read -r line; do
    src=$(echo "$line" | sed 's/.*"positive_ctxs":\[{[^]]*"passage_id":"\([^"]*\)".*/\1/')
    if echo "$line" | sed 's/.*hard_negative_ctxs//' | grep -q "\"passage_id\":\"$src\""; then
        echo "source $src mined as its own negative"; exit 1; fi
done < "$T/ict.jsonl"
grep -q '"positive_ctxs":\[{"title":"Insulin","text":"[^"]*","passage_id":"d3"}\]' "$T/ict.jsonl"

# the same seed, the same file; another seed, another; crop; a JSON array by the name
$N retriever pretrain --corpus "$T/corpus.jsonl" --num-hard-negatives 2 --out "$T/again.jsonl" 2> /dev/null
cmp -s "$T/ict.jsonl" "$T/again.jsonl"
$N retriever pretrain --corpus "$T/corpus.jsonl" --num-hard-negatives 2 --seed 7 --pairs-per-passage 3 \
    --out "$T/seed7.jsonl" 2> /dev/null
test "$(wc -l < "$T/seed7.jsonl")" -eq 15
if cmp -s "$T/ict.jsonl" "$T/seed7.jsonl"; then echo "seed ignored"; exit 1; fi
$N retriever pretrain --corpus "$T/corpus.jsonl" --task crop --out "$T/crop.json" 2> "$T/err"
grep -q "6 crop records written" "$T/err"
head -c 1 "$T/crop.json" | grep -q '\['

# plain text, split into passages of at most 12 words on sentence boundaries: the sentences
# have 6 7 | 7 7 | 6 8 | 5 7 | 4 | 4 8 words, packed greedily into
# [6] [7] [7] [6] [8] [5 7] [4 4] [8] = 8 passages
sed 's/.*"text": "\(.*\)"}/\1/' "$T/corpus.jsonl" > "$T/book.txt"
$N retriever pretrain --corpus "$T/book.txt" --task crop --passage-words 12 --out "$T/text.jsonl" 2> "$T/err"
grep -q '"passage_id":"0-0"' "$T/text.jsonl"
grep -q "1 documents, 8 passages" "$T/err"

# the output trains a retriever
$N model init --layers 1 --hidden 32 --heads 2 --ffn 64 --max-position 128 --head encoder \
    --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out "$T/init" 2> /dev/null
$N retriever train --init "$T/init" --encoders shared --loss mnrl --train "$T/ict.jsonl" --batch-size 2 \
    --max-steps 2 --max-passage-len 48 --save-dir "$T/model" > "$T/sum.json" 2> /dev/null
grep -q '"examples":5' "$T/sum.json"

# bad input: the file and line named, no output left
printf '{"_id": "a", "text": "One. Two."}\n{"_id": "b", "text": \n' > "$T/bad.jsonl"
if $N retriever pretrain --corpus "$T/bad.jsonl" --out "$T/bad-out.jsonl" 2> "$T/err"; then exit 1; fi
grep -q "bad.jsonl:2" "$T/err"
test ! -e "$T/bad-out.jsonl"
if $N retriever pretrain --corpus "$T/corpus.jsonl" --task mlm --out "$T/x.jsonl" 2> "$T/err"; then exit 1; fi
grep -q "unknown pre-training task 'mlm'" "$T/err"
echo "retriever pretrain: ok"
