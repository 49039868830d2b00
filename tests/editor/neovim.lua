-- Drives `iotrun lsp` from Neovim's own LSP client (0.7's start_client and
-- buf_attach_client; 0.8+ users write vim.lsp.start, see the README).
-- Run by tests/editor.rs as
--   IOTRUN=... OUT=... FILES=... nvim --headless -u NONE -c 'luafile neovim.lua' TYPED
-- For every file in FILES it records the diagnostics published for it; in
-- the file it was started on it types a mistake (`message: FLUSH` on a
-- light) and records the diagnostics, the completion after `message:`, and
-- the quick fix of a typo. Everything goes to OUT as JSON.

local out = {}
local published = {}

local client = vim.lsp.start_client({
  name = "iotrun",
  cmd = { os.getenv("IOTRUN"), "lsp" },
  root_dir = vim.fn.getcwd(),
  handlers = {
    ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
      published[result.uri] = result.diagnostics
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
    end,
  },
})

-- Initialized before anything is asked.
vim.wait(10000, function()
  local c = vim.lsp.get_client_by_id(client)
  return c ~= nil and c.server_capabilities ~= nil and next(c.server_capabilities) ~= nil
end, 10)

local function attach(buf)
  vim.lsp.buf_attach_client(buf, client)
end

local function wait_for(uri)
  return vim.wait(10000, function() return published[uri] ~= nil end, 10)
end

-- Every file: what was published for it, as Neovim received it.
out.files = {}
for file in string.gmatch(os.getenv("FILES") or "", "[^\n]+") do
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(buf)
  attach(buf)
  -- The server publishes a program's diagnostics before it answers any
  -- request, so once this hover is answered they are here, or the file is
  -- no program.
  vim.lsp.buf_request_sync(buf, "textDocument/hover", {
    textDocument = { uri = uri },
    position = { line = 0, character = 0 },
  }, 10000)
  local got = published[uri] ~= nil
  local shown = {}
  for _, d in ipairs(published[uri] or {}) do
    table.insert(shown, { code = d.code, message = d.message, line = d.range.start.line, character = d.range.start.character })
  end
  table.insert(out.files, { file = file, published = got, diagnostics = shown })
end

-- The file to type in.
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("TYPED")))
local buf = vim.api.nvim_get_current_buf()
local uri = vim.uri_from_bufnr(buf)
attach(buf)
wait_for(uri)
published[uri] = nil
-- Type a mistake on line 5: the light is asked to FLUSH.
vim.api.nvim_buf_set_lines(buf, 4, 5, false, { "  - { device: hall, message: FLUSH }" })
wait_for(uri)
out.typed = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(out.typed, { code = d.code, message = d.message, lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity })
end

-- Completion after `message: ` on the light's line.
vim.api.nvim_buf_set_lines(buf, 4, 5, false, { "  - { device: hall, message:  }" })
local responses = vim.lsp.buf_request_sync(buf, "textDocument/completion", {
  textDocument = { uri = uri },
  position = { line = 4, character = 29 },
}, 10000)
out.completion = {}
for _, response in pairs(responses or {}) do
  for _, item in ipairs(response.result or {}) do
    table.insert(out.completion, item.label)
  end
end

-- A typo, and the quick fix's edit applied the way Neovim applies it.
published[uri] = nil
vim.api.nvim_buf_set_lines(buf, 4, 5, false, { "  - { device: hall, message: SWITCH_OM }" })
wait_for(uri)
local actions = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", {
  textDocument = { uri = uri },
  range = { start = { line = 4, character = 31 }, ["end"] = { line = 4, character = 31 } },
  context = { diagnostics = {} },
}, 10000)
for _, response in pairs(actions or {}) do
  for _, action in ipairs(response.result or {}) do
    out.action = action.title
    vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
  end
end
out.fixed_line = vim.api.nvim_buf_get_lines(buf, 4, 5, false)[1]

local file = io.open(os.getenv("OUT"), "w")
file:write(vim.fn.json_encode(out))
file:close()
vim.lsp.stop_client(client)
vim.cmd("qa!")
