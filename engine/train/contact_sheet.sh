#!/bin/sh
# The built-in model's contact sheet: 20 prompts (10 English, 10 Chinese), seed 1, 20 steps, CFG 7.5, on the CPU,
# 4 rows of 5 pictures, each with its prompt. Needs ImageMagick's montage and a CJK font (fonts-noto-cjk).
#   sh engine/train/contact_sheet.sh [MODEL] [SHEET.png]      MODEL: builtin (default) or a model folder
set -eu
model=${1:-builtin}
sheet=${2:-engine/train/samples/contact-sheet.png}
cli=${CLI:-build/storybrush-cli}
font=$(fc-list :lang=zh file | grep -m1 -i "sanscjk-regular\|sanscjk" | cut -d: -f1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
i=0
while IFS= read -r prompt; do
  [ -z "$prompt" ] && continue
  i=$((i + 1))
  if ! "$cli" generate --model "$model" --prompt "$prompt" --seed 1 --steps 20 --cfg 7.5 \
      -o "$work/$(printf %02d $i).png" >/dev/null 2>"$work/log"; then
    cat "$work/log" >&2; exit 1
  fi
  printf '%s\n' "$prompt" > "$work/$(printf %02d $i).txt"
done <<'PROMPTS'
a cute frog on a meadow
a dog in a room
an elephant and a duck in the snow
a red car on a sunny meadow
a fish and a whale in the sea
an owl at night
a hot-air balloon in the sky
an apple and a banana in a room
a rabbit and a flower on a meadow
a house and a tree in the snow
草地上的一只青蛙
大海里的一条小鱼和一只海豚
夜晚的一只猫头鹰
天空中的一架飞机
雪地里的一只企鹅
房间里的一只小猫
草地上的一只兔子和一棵树
草地上的一辆拖拉机
海上的一艘小船
夜空下的月亮和一只狐狸
PROMPTS
set --
for png in "$work"/*.png; do
  set -- "$@" -label "$(cat "${png%.png}.txt")" "$png"
done
montage -font "$font" -pointsize 13 "$@" -tile 5x4 -geometry 256x256+6+6 -background white -colors 256 "PNG8:$sheet"
echo "wrote $sheet"
