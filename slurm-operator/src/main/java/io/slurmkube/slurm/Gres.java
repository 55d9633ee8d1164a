package io.slurmkube.slurm;

/**
 * Reads GPU counts out of Slurm's GRES and TRES strings: {@code gpu:2}, {@code gpu:a100:2(S:0-1)},
 * {@code gpu:1(IDX:0)}, {@code gres/gpu:4}, {@code gres/gpu:a100:1,gres/shard:2}, and the TRES form
 * {@code gres/gpu=1} or {@code gres/gpu:a100=2} (how Slurm 24.11 prints --gpus-per-task).
 */
final class Gres {
  private Gres() {}

  /** The number of GPUs the string names, 0 when it names none. */
  static int gpus(String text) {
    if (text == null || text.isBlank()) {
      return 0;
    }
    int total = 0;
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ',';
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        total += gpusOfItem(text.substring(start, i).trim());
        start = i + 1;
      }
    }
    return total;
  }

  private static int gpusOfItem(String item) {
    int paren = item.indexOf('(');
    String spec = paren >= 0 ? item.substring(0, paren) : item;
    if (spec.startsWith("gres/")) {
      spec = spec.substring("gres/".length());
    } else if (spec.startsWith("gres:")) {
      spec = spec.substring("gres:".length());
    }
    int equals = spec.indexOf('=');
    if (equals >= 0) {
      String name = spec.substring(0, equals);
      if (!name.equals("gpu") && !name.startsWith("gpu:")) {
        return 0;
      }
      try {
        return Integer.parseInt(spec.substring(equals + 1));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    String[] parts = spec.split(":");
    if (parts.length < 2 || !parts[0].equals("gpu")) {
      return 0;
    }
    try {
      return Integer.parseInt(parts[parts.length - 1]);
    } catch (NumberFormatException e) {
      return 0; // "gpu:a100" with no count
    }
  }
}
