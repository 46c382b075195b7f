#include <cstdio>

int main() {
  std::puts("docpipe " DOCPIPE_VERSION);
  return 0;
}
