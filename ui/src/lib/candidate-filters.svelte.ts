/** The candidate list's search and filters, kept while the recruiter visits other screens. */
export const filters = $state({
  search: "",
  jobId: null as number | null,
  stageId: null as number | null,
  status: null as string | null,
});
