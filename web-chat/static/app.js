// The page arrives with the web chat (branch page).
