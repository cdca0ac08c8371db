// Filters a table's rows as one types, in the browser: the search never reaches a URL
// or a server log. Rows carry their searchable text in data-search.
document.querySelectorAll("[data-filter-table]").forEach((input) => {
  const table = document.getElementById(input.dataset.filterTable);
  if (!table) return;
  input.addEventListener("input", () => {
    const needle = input.value.normalize("NFKC").trim().toLowerCase();
    // Read the rows each time: the fee page replaces a row in place after a tick.
    Array.from(table.tBodies[0].rows).forEach((row) => {
      const haystack = (row.dataset.search || "").toLowerCase();
      row.hidden = needle !== "" && !haystack.includes(needle);
    });
  });
});
