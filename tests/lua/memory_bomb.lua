-- memory_bomb.lua: run with --max-memory 64M.  A string of 1 GB is refused by the Lua state's
-- own cap (exit 2, a line naming --max-memory) instead of exhausting the machine.
local s = string.rep("x", 1 << 30)
print(#s)
