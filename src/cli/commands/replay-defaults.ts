// Frame size of `kvsim replay --print` when neither the flags nor a terminal say otherwise
// (shared by the command's registration and its lazily loaded body).
export const PRINT_COLUMNS_DEFAULT = 100;
export const PRINT_ROWS_DEFAULT = 30;
