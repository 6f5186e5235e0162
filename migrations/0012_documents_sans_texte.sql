-- A document with no prose to search is neither waiting nor failed: a generated Excel workbook
-- (the financial report's) holds figures, and figures are read from SQL by the tools, never
-- from document text (DESIGN.md: RAG for document text only).
ALTER TYPE statut_indexation ADD VALUE 'sans_texte';
