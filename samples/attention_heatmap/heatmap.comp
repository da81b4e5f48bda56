// attention_heatmap's colormap: one invocation per pixel of a W x H RGBA8 image laid out as
// panels side by side, each an n x n grid of cells showing weights[panel][query][key]
// through a perceptual colormap (viridis, a 5-stop piecewise-linear fit), with a white
// gap between panels. The image buffer holds one uint per pixel (R in the low byte).
#version 450
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) readonly buffer Weights { float weights[]; };
layout(set = 0, binding = 1) writeonly buffer Image { uint pixels[]; };
layout(push_constant) uniform Push {
  uint width, height;  // image size
  uint n;              // cells per side of a panel
  uint cell;           // pixels per cell
  uint gap;            // pixels between panels (and around them)
  uint panels;
  float max_weight;    // weights are divided by it (the colormap's top)
} push;

vec3 viridis(float t) {
  const vec3 stops[5] = vec3[5](vec3(0.267, 0.005, 0.329), vec3(0.229, 0.322, 0.545), vec3(0.128, 0.567, 0.551),
                                vec3(0.369, 0.789, 0.383), vec3(0.993, 0.906, 0.144));
  const float x = clamp(t, 0.0, 1.0) * 4.0;
  const int i = min(int(x), 3);
  return mix(stops[i], stops[i + 1], x - float(i));
}

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= push.width || p.y >= push.height) return;
  const uint side = push.n * push.cell;
  vec3 color = vec3(1.0);  // background
  if (p.y >= push.gap && p.y < push.gap + side && p.x >= push.gap) {
    const uint x = p.x - push.gap;
    const uint panel = x / (side + push.gap), within = x % (side + push.gap);
    if (panel < push.panels && within < side) {
      const uint query = (p.y - push.gap) / push.cell, key = within / push.cell;
      color = viridis(weights[(panel * push.n + query) * push.n + key] / push.max_weight);
    }
  }
  const uvec3 c = uvec3(round(color * 255.0));
  pixels[p.y * push.width + p.x] = c.r | (c.g << 8) | (c.b << 16) | (255u << 24);
}
