// Compass needles: one instance per (row, pair) cell; row 0 shows the selected head's
// rotated query, row 1 the newest key in vkrope's ring. Pair i of a row is the vector
// (x[2i], x[2i+1]) that RoPE rotated by position * theta_i, read straight from vkrope's
// output buffers. 18 vertices per instance: the dial (a cell quad the fragment shader cuts
// into a ring), then the needle's two halves as thin quads built here along the vector:
// red (query) or blue (key) toward its angle, grey away from it. Angles grow counter-
// clockwise from east (framebuffer y points down, so sin is negated).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "layout.glsl"

layout(location = 0) out vec2 local;       // dial: position in the cell, in radii
layout(location = 1) flat out int kind;    // 0 dial, 1 query needle, 2 key needle, 3 tail

const vec2 corners[6] = vec2[6](vec2(0, 0), vec2(1, 0), vec2(1, 1), vec2(0, 0), vec2(1, 1), vec2(0, 1));

void main() {
  const int row = gl_InstanceIndex / push.cols, pair = gl_InstanceIndex % push.cols;
  const int part = gl_VertexIndex / 6;
  const vec2 c = corners[gl_VertexIndex % 6];
  const float radius = 0.42 * float(push.cell.x);
  const vec2 centre = vec2(push.origin + ivec2(pair, row) * push.cell) + 0.5 * vec2(push.cell);
  vec2 pixel;
  if (part == 0) {
    local = (2.0 * c - 1.0) * 1.1;
    pixel = centre + local * radius;
    kind = 0;
  } else {
    const int base = row == 0 ? push.head * push.dim + 2 * pair : (push.position % push.ring) * push.dim + 2 * pair;
    const vec2 v = row == 0 ? vec2(queries[base], queries[base + 1]) : vec2(keys[base], keys[base + 1]);
    const vec2 dir = normalize(vec2(v.x, -v.y) + vec2(1e-12, 0.0));
    const vec2 across = vec2(-dir.y, dir.x) * 1.5;          // 3 pixels wide
    const float length = (part == 1 ? 0.9 : -0.8) * radius;  // the tail points away
    pixel = centre + c.x * length * dir + (c.y - 0.5) * 2.0 * across;
    local = vec2(0.0);
    kind = part == 1 ? 1 + row : 3;
  }
  gl_Position = to_clip(pixel);
}
