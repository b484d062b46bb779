const {encode} = require(process.env.GPT3_ENCODER || './package/Encoder.js');
const texts = [
  "Hello world! This is GPT-2's tokenizer.",
  "The quick brown fox jumps over the lazy dog.",
  "It's we're they've I'm we'll he'd 'quoted' can't Don'T",
  "numbers 3.14159 1,000,000 42nd 2024-12-01",
  "Café naïve façade — résumé, Ångström; déjà vu.",
  "Emoji: 😀👍🏽 🇫🇷 family 👨‍👩‍👧 ok",
  "CJK: 你好，世界。日本語のテキスト 한국어",
  "tabs:\tone\t\ttwo\t \tthree\nnew lines\n\n\nand   runs    of     spaces",
  "def main():\n    print('hello, world')\n    return 0\n",
  "  leading and trailing spaces   ",
  "symbols !!! ??? ... --- *** ### $$$ @@ && || ~~ <tag attr=\"x\">",
  "Where is my order? I ordered a laptop last week and the tracking number doesn't work.",
  "ThisIsCamelCase and snake_case_words and SHOUTING",
  "windows\r\nline\r\n\r\nends \r\n",
];
console.log("[\n" + texts.map(t => JSON.stringify({text: t, ids: encode(t)})).join(",\n") + "\n]");
