"""Write chars.txt: the characters kept in the vendored Noto Sans SC subset (GB2312, ASCII, punctuation)."""
chars = set()
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update(chr(c) for c in range(0x20, 0x7F))
chars.update(chr(c) for c in range(0xA0, 0x100))
chars.update(chr(c) for c in range(0x2000, 0x206F))
chars.update(chr(c) for c in range(0x3000, 0x303F))
chars.update(chr(c) for c in range(0xFF00, 0xFFEF))
chars.update("①②③④⑤⑥⑦⑧⑨⑩★☆√×÷±≤≥—…·●○■□▲△→←↑↓")
open("chars.txt", "w", encoding="utf-8").write("".join(sorted(chars)))
print(len(chars))
