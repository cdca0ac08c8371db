// Filters a table's rows as one types, in the browser: the search never reaches a URL
// or a server log. Rows carry their searchable text in data-search.
document.querySelectorAll("[data-filter-table]").forEach((input) => {
  const table = document.getElementById(input.dataset.filterTable);
  if (!table) return;
  const rows = Array.from(table.tBodies[0].rows);
  input.addEventListener("input", () => {
    const needle = input.value.normalize("NFKC").trim().toLowerCase();
    rows.forEach((row) => {
      const haystack = (row.dataset.search || "").toLowerCase();
      row.hidden = needle !== "" && !haystack.includes(needle);
    });
  });
});
