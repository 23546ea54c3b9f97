-- Header lines as plugins.lib.variables hands them to json_log (0-indexed, name and value as
-- data and length), made from a table of name -> value or list of values, names in sorted order.
return function(headers)
  if headers == nil then return nil, 0 end
  local names = {}
  for name in pairs(headers) do names[#names + 1] = name end
  table.sort(names)
  local lines, count = {}, 0
  for _, name in ipairs(names) do
    local values = headers[name]
    if type(values) ~= "table" then values = { values } end
    for _, value in ipairs(values) do
      lines[count] = { key = { data = name, len = #name }, value = { data = value, len = #value } }
      count = count + 1
    end
  end
  return lines, count
end
