// The live attention-weight heatmap of the selected head, read from the buffer vkrope's
// attention wrote: a row per frame (newest on top: row a is position - a), a column per
// ring slot (the key at slot s sits at the newest position congruent to s mod ring), each
// row scaled by its largest weight through a perceptual colormap (viridis, 5 stops).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "layout.glsl"

layout(location = 0) in vec2 cell_coord;
layout(location = 0) out vec4 color;

vec3 viridis(float t) {
  const vec3 stops[5] = vec3[5](vec3(0.267, 0.005, 0.329), vec3(0.229, 0.322, 0.545), vec3(0.128, 0.567, 0.551),
                                vec3(0.369, 0.789, 0.383), vec3(0.993, 0.906, 0.144));
  const float x = clamp(t, 0.0, 1.0) * 4.0;
  const int i = min(int(x), 3);
  return mix(stops[i], stops[i + 1], x - float(i));
}

void main() {
  const int slot = min(int(cell_coord.x), push.cols - 1), age = min(int(cell_coord.y), push.rows - 1);
  const int p = push.position - age;
  if (p < push.first_position) {
    color = vec4(0.12, 0.13, 0.16, 1.0);  // before the first frame
    return;
  }
  const int base = ((p % push.history) * push.heads + push.head) * push.ring;
  float top = 1e-30;
  for (int s = 0; s < push.ring; ++s) top = max(top, weights[base + s]);
  // A one-pixel gap between cells, so single weights stay readable.
  const vec2 f = fract(cell_coord) * vec2(push.cell);
  const float gap = (f.x < 1.0 || f.y < 1.0) ? 0.6 : 1.0;
  color = vec4(viridis(weights[base + slot] / top) * gap, 1.0);
}
