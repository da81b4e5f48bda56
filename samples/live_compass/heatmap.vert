// The heatmap's quad: the whole region, cols x rows cells; heatmap.frag colours it.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "layout.glsl"

layout(location = 0) out vec2 cell_coord;  // position in cells: (slot, age)

const vec2 corners[6] = vec2[6](vec2(0, 0), vec2(1, 0), vec2(1, 1), vec2(0, 0), vec2(1, 1), vec2(0, 1));

void main() {
  const vec2 c = corners[gl_VertexIndex];
  cell_coord = c * vec2(push.cols, push.rows);
  gl_Position = to_clip(vec2(push.origin) + cell_coord * vec2(push.cell));
}
