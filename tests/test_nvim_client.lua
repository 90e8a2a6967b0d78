-- Headless Neovim as a real LSP client of `migrate lsp`, driven by tests/test_nvim.py.
-- Opens MIGRATE_NVIM_FILE, waits for the server's diagnostics, asks for the code actions
-- on the line of the first diagnostic, applies "Migrate this file to PyTorch" as Neovim
-- applies any workspace edit, saves the buffer to MIGRATE_NVIM_SAVED and writes what it saw
-- (diagnostic codes, action titles, or the error) as JSON to MIGRATE_NVIM_REPORT.
-- Works with Neovim 0.7 and later (vim.lsp.start_client, vim.diagnostic).

local report_path = os.getenv("MIGRATE_NVIM_REPORT")
local report = { ok = false }

local function finish()
  local handle = io.open(report_path, "w")
  handle:write(vim.fn.json_encode(report))
  handle:close()
  vim.cmd("qall!")
end

local function main()
  local file = os.getenv("MIGRATE_NVIM_FILE")
  local cmd = vim.fn.json_decode(os.getenv("MIGRATE_NVIM_CMD"))
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  vim.cmd("setfiletype python")
  local buf = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({ name = "migrate", cmd = cmd, root_dir = vim.fn.fnamemodify(file, ":h") })
  if not client_id then
    report.error = "the server did not start"
    return
  end
  vim.lsp.buf_attach_client(buf, client_id)

  if not vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 20) then
    report.error = "no diagnostics within 30 s"
    return
  end
  local diagnostics = vim.diagnostic.get(buf)
  table.sort(diagnostics, function(a, b) return a.lnum < b.lnum end)
  report.codes = {}
  for _, d in ipairs(diagnostics) do
    local lsp_diagnostic = d.user_data and d.user_data.lsp or {}
    table.insert(report.codes, d.code or lsp_diagnostic.code)
  end

  local first = diagnostics[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = {
      start = { line = first.lnum, character = first.col },
      ["end"] = { line = first.lnum, character = first.col },
    },
    context = { diagnostics = {} },
  }
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000)
  if not responses then
    report.error = "no answer to textDocument/codeAction"
    return
  end
  report.titles = {}
  local chosen = nil
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do
      table.insert(report.titles, action.title)
      if action.title == "Migrate this file to PyTorch" then
        chosen = action
      end
    end
  end
  if not chosen then
    report.error = "no 'Migrate this file to PyTorch' action"
    return
  end
  if not chosen.edit then
    -- The server sends edits on request (codeAction/resolve), as Neovim's own
    -- vim.lsp.buf.code_action() asks for them.
    local resolved = vim.lsp.buf_request_sync(buf, "codeAction/resolve", chosen, 30000)
    for _, response in pairs(resolved or {}) do
      if response.result and response.result.edit then
        chosen = response.result
      end
    end
  end
  if not chosen.edit then
    report.error = "the action came without an edit, and resolving it gave none"
    return
  end
  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  vim.cmd("write! " .. vim.fn.fnameescape(os.getenv("MIGRATE_NVIM_SAVED")))

  -- The edit reached the server as didChange: it answers with the diagnostics left.
  local before = #diagnostics
  vim.wait(30000, function() return #vim.diagnostic.get(buf) < before end, 20)
  report.left = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp_diagnostic = d.user_data and d.user_data.lsp or {}
    table.insert(report.left, d.code or lsp_diagnostic.code)
  end
  report.ok = true
end

local ok, err = pcall(main)
if not ok then
  report.error = tostring(err)
end
vim.lsp.stop_client(vim.lsp.get_active_clients())
finish()
